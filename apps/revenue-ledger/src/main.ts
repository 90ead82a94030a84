import { runService } from '@juggernaut/service-kit';
import { revenueLedger } from './service';

runService(revenueLedger);
