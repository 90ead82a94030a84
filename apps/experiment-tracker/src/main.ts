import { runService } from '@juggernaut/service-kit';
import { experimentTracker } from './service';

runService(experimentTracker);
