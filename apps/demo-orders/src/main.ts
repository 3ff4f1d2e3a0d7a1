import { startDemoService } from '@gatehouse/demo-service'
import { createOrdersApp } from './app.js'

startDemoService({ name: 'demo-orders', audience: 'orders', defaultPort: 4001, createApp: createOrdersApp })
