import { BadRequestException } from '@nestjs/common';
import { TaskTypeParamPipe } from './task-type.pipe';

describe('TaskTypeParamPipe', () => {
  const pipe = new TaskTypeParamPipe();

  it('accepts the task types CreateTaskDto accepts', () => {
    for (const type of ['noop', 'dev.change', 'goal.plan', 'a1_b-c.d']) expect(pipe.transform(type)).toBe(type);
  });

  it('refuses anything else with a 400 naming the type field', () => {
    for (const type of ['', 'Not A Type', 'DROP TABLE', '../etc', '1abc', 'a'.repeat(101), 'é']) {
      expect(() => pipe.transform(type)).toThrow(BadRequestException);
    }
    try {
      pipe.transform('Bad Type');
    } catch (e) {
      expect(JSON.stringify((e as BadRequestException).getResponse())).toContain('type must be lowercase letters');
    }
  });
});
