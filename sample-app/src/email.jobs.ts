import { Injectable, Logger } from '@nestjs/common';
import { OnJob, type Job } from 'remq';

/** Handles the jobs of queue `emails`. */
@Injectable()
export class EmailJobs {
  private readonly logger = new Logger('EmailJobs');

  @OnJob('send-email', 'emails')
  async sendEmail(job: Job<{ to: string }>): Promise<{ deliveredTo: string }> {
    // A real app would call its mail provider here.
    this.logger.log(`sent email to ${job.data.to} (job ${job.id})`);
    return { deliveredTo: job.data.to };
  }
}
