import { startDemoService } from '@gatehouse/demo-service'
import { createProfileApp } from './app.js'

startDemoService({ name: 'demo-profile', audience: 'profile', defaultPort: 4002, createApp: createProfileApp })
