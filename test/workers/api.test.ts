import { defineApiSuite } from '../api/suite.js';
import { startWorkersDeployment } from './deployment.js';

defineApiSuite('workerd + D1 + R2', () => startWorkersDeployment());
