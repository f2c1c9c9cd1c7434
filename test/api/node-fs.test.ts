import { defineApiSuite } from './suite.js';
import { startNodeFsDeployment } from '../helpers/node-deployment.js';

defineApiSuite('Node + SQLite + folder', startNodeFsDeployment);
