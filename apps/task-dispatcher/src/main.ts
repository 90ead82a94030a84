import { runService } from '@juggernaut/service-kit';
import { taskDispatcher } from './service';

runService(taskDispatcher);
