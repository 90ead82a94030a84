import { runService } from '@juggernaut/service-kit';
import { agentRunner } from './service';

runService(agentRunner);
