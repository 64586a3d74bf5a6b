import { Controller, Get, Header } from '@nestjs/common';

/** `GET /`: shows the app is up and what it offers. */
@Controller()
export class HealthController {
  @Get()
  @Header('content-type', 'text/plain; charset=utf-8')
  health(): string {
    return 'remq sample: POST /emails, GET /jobs/:queue/:id, GET /queues/:queue/stats\n';
  }
}
