import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { TaskManager } from 'remq';

/** `POST /emails { "to": "..." }`: queues one email and answers its job id. */
@Controller('emails')
export class EmailsController {
  constructor(private readonly tasks: TaskManager) {}

  @Post()
  @HttpCode(202)
  async send(@Body() body: unknown): Promise<{ jobId: string }> {
    const to = (body as { to?: unknown } | undefined)?.to;
    if (typeof to !== 'string' || to.trim() === '') {
      throw new BadRequestException('"to" must be a non-empty string');
    }
    const jobId = await this.tasks.emit({
      event: 'send-email',
      queue: 'emails',
      data: { to },
    });
    return { jobId };
  }
}
