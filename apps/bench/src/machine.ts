import os from 'node:os'

export interface Machine {
  cpuModel: string
  cores: number
  memoryBytes: number
  node: string
  platform: string
  arch: string
  kernel: string
}

export function machineInfo(): Machine {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
  }
}
