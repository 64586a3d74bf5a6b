import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { RemqAdmin, type JobRecord, type QueueStats } from 'remq';

/** Read-only views of queues and jobs. */
@Controller()
export class AdminController {
  constructor(private readonly admin: RemqAdmin) {}

  @Get('jobs/:queue/:id')
  async job(
    @Param('queue') queue: string,
    @Param('id') id: string,
  ): Promise<JobRecord & { status: JobRecord['state'] }> {
    const job = await this.admin.getJob(queue, id);
    if (!job) throw new NotFoundException(`no job '${id}' on queue '${queue}'`);
    return { ...job, status: job.state };
  }

  @Get('queues/:queue/stats')
  stats(@Param('queue') queue: string): Promise<QueueStats> {
    return this.admin.getQueueStats(queue);
  }
}
