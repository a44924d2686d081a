// MQTT topic layout (SPEC section 6): everything under `{prefix}/{gatewayId}`.
export function baseTopic(prefix: string, id: string): string { return `${prefix}/${id}`; }
export const topics = {
  status: "status",
  events: "events",
  telemetry: (device: string) => `telemetry/${device}`,
  cmd: (name: string) => `cmd/${name}`,
  reply: (name: string) => `cmd/${name}/reply`,
  desired: "config/desired",
  reported: "config/reported",
};
