import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { CreateTaskDto } from '@juggernaut/contracts';
import { validateSync } from 'class-validator';

/**
 * A task type in a path (`/task-types/{type}/…`) must be a name a task could have: checked with
 * CreateTaskDto's own rules for `type`, so the two formats cannot drift apart.
 */
@Injectable()
export class TaskTypeParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const errors = validateSync(Object.assign(new CreateTaskDto(), { type: value }), {
      skipMissingProperties: true,
    }).filter((e) => e.property === 'type');
    if (errors.length > 0) throw new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? {})));
    return value;
  }
}
