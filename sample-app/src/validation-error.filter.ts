import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';

import { ValidationError } from 'remq';

/** Answers 400, naming the field, when a request carries a bad queue name or page. */
@Catch(ValidationError)
export class ValidationErrorFilter implements ExceptionFilter {
  catch(error: ValidationError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(400)
      .json({ statusCode: 400, field: error.field, message: error.message });
  }
}
