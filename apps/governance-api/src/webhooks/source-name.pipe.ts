import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { PAYMENT_SOURCE_PATTERN } from '@juggernaut/contracts';

/** A webhook source's name in a path: lowercase letters, digits and dashes (400 otherwise, before any lookup). */
@Injectable()
export class SourceNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !PAYMENT_SOURCE_PATTERN.test(value)) {
      throw new BadRequestException(
        'source must be lowercase letters, digits and dashes, starting with a letter (at most 40)',
      );
    }
    return value;
  }
}
