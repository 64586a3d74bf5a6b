import { Module } from '@nestjs/common';
import { RemqModule } from 'remq';

import { AdminController } from './admin.controller.js';
import { EmailJobs } from './email.jobs.js';
import { EmailsController } from './emails.controller.js';
import { HealthController } from './health.controller.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

@Module({
  imports: [RemqModule.forRoot({ connection: REDIS_URL })],
  controllers: [HealthController, EmailsController, AdminController],
  providers: [EmailJobs],
})
export class AppModule {}
