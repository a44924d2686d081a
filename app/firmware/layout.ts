// Where releases, config, data and updates live on a box (created by firmware/install.sh; see the
// README "Firmware" section). The update module drops a downloaded bundle at UPDATE_DROP (write
// UPDATE_DROP + ".part", then rename: gateway-update.path fires on the name) and reads UPDATE_RESULT
// ({ok, release, message, ts}) after the restart. Kept here so app code and install.sh agree.
export const LAYOUT = {
  base: "/opt/gateway",
  releases: "/opt/gateway/releases",
  current: "/opt/gateway/current",
  previous: "/opt/gateway/previous",
  config: "/etc/gateway/gateway.yaml",
  data: "/var/lib/gateway",
  updateDrop: "/var/lib/gateway/update/bundle.tar",
  updateResult: "/var/lib/gateway/update/result.json",
} as const;
