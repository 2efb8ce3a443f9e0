/** Builders for the normalization layers. */
import type { ModuleBuilder } from '../registry.js';

export const builders: ModuleBuilder[] = [];
