import { runService } from '@juggernaut/service-kit';
import { governanceApi } from './service';

runService(governanceApi);
