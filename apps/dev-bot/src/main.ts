import { runService } from '@juggernaut/service-kit';
import { devBot } from './service';

runService(devBot);
