/**
 * The HTML report's script (bundled by esbuild into the HTML file, so the
 * page needs no network): the model embedded as JSON, brought to life by
 * view.ts.
 */
import type { ReportModel } from '../model.js';
import { mountReport } from './view.js';

const model = JSON.parse(document.getElementById('nk-model')!.textContent!) as ReportModel;
mountReport(document, model);
document.body.setAttribute('data-ready', 'true');
