/** Builders for conv, pooling, padding, linear, activation and resampling layers. */
import type { ModuleBuilder } from '../registry.js';

export const builders: ModuleBuilder[] = [];
