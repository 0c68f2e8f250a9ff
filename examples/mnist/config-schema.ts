/**
 * What the example's config must satisfy beyond its types, checked by ritual
 * before a run starts (`ex.schema`): a mistyped backend or an lr of 3 is
 * refused with exit 2 and nothing stored, instead of failing (or silently
 * diverging) after the run was recorded. Any Standard Schema library works;
 * this one is zod. looseObject keeps the keys it does not name, and main's
 * config is typed from it: `backend` and `logEvery` become their unions.
 */
import { z } from 'zod';
import { CHOICES } from './backend.js';

/** Digits the `mnist` package ships (data.ts reads them; loading it here would slow every start). */
const MNIST_SAMPLES = 10_000;

const size = z.number().int().positive();

export const configSchema = z
  .looseObject({
    backend: z.enum(CHOICES),
    lr: z.number().gt(0).lt(1),
    trainSize: size,
    testSize: size,
    validationSplit: z.number().gte(0).lt(1),
    logEvery: z.enum(['batch', 'epoch']),
  })
  .refine((config) => config.trainSize + config.testSize <= MNIST_SAMPLES, {
    path: ['trainSize'],
    message: `trainSize + testSize must be at most the ${MNIST_SAMPLES} digits of the mnist package`,
  });
