import { startNodeFsDeployment } from '../helpers/node-deployment.js';
import { defineWebSuite } from './suite.js';

defineWebSuite('Node + SQLite + folder', startNodeFsDeployment);
