// The sample is compiled together with the library's source, so it imports it from here.
// In your application this file is simply: `import { … } from 'nestjs-chunked-session'`.
export * from '../src/index.js';
