import 'reflect-metadata';

import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { ValidationErrorFilter } from './validation-error.filter.js';

const port = Number(process.env.PORT ?? 3000);

const app = await NestFactory.create(AppModule);
app.useGlobalFilters(new ValidationErrorFilter());
// SIGINT/SIGTERM stop the consumers (jobs in flight may finish), then close Redis.
app.enableShutdownHooks();
await app.listen(port);
new Logger('Sample').log(`listening on http://localhost:${port}`);
