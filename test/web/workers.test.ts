import { startWorkersDeployment } from '../workers/deployment.js';
import { defineWebSuite } from './suite.js';

defineWebSuite('workerd + D1 + R2', () => startWorkersDeployment());
