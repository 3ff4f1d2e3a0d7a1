export { generateSigningKey, startDemoIdp, type DemoIdp, type DemoIdpOptions, type DemoUser } from './idp.js'
export { DEMO_CLIENT_ID, DEMO_USER, demoClient } from './demo-setup.js'
