// Clear-sky sun on a tilted panel at a latitude, by time of day and season. Textbook geometry
// (Duffie & Beckman, "Solar Engineering of Thermal Processes", ch. 1-2): Cooper's declination,
// hour angle from UTC and longitude (equation of time ignored: < 17 min), incidence on a surface
// facing the equator, and the Meinel air-mass model for beam irradiance (1353 W/m² × 0.7^(AM^0.678)).
// Accurate to ~10% for a clear day: enough to drive an energy policy, not to size a plant.

const RAD = Math.PI / 180;

export interface PanelGeometry {
  latitude: number;   // degrees, north positive
  longitude: number;  // degrees, east positive
  /** Tilt from horizontal, degrees, facing the equator (usual practice: tilt ≈ latitude). */
  tilt: number;
}

/** Day of year, 1..366, in UTC. */
export function dayOfYear(ts: number): number {
  const d = new Date(ts);
  return Math.floor((ts - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Solar declination in radians (Cooper 1969). */
export function declination(ts: number): number {
  return 23.45 * RAD * Math.sin((2 * Math.PI * (284 + dayOfYear(ts))) / 365);
}

/** Sine of the sun's elevation above the horizon (negative at night). */
export function sinElevation(ts: number, lat: number, lon: number): number {
  const solarHours = ((ts / 3_600_000) % 24) + lon / 15;
  const h = 15 * (solarHours - 12) * RAD;
  const d = declination(ts), p = lat * RAD;
  return Math.sin(p) * Math.sin(d) + Math.cos(p) * Math.cos(d) * Math.cos(h);
}

/** Clear-sky irradiance on the panel plane, W/m² (beam on the tilted plane plus ~10% diffuse). */
export function clearSkyIrradiance(ts: number, g: PanelGeometry): number {
  const sinEl = sinElevation(ts, g.latitude, g.longitude);
  if (sinEl <= 0.01) return 0;
  const airMass = 1 / sinEl;
  const beam = 1353 * Math.pow(0.7, Math.pow(airMass, 0.678));
  // Incidence on a surface tilted toward the equator = a horizontal surface at latitude (lat − tilt).
  const solarHours = ((ts / 3_600_000) % 24) + g.longitude / 15;
  const h = 15 * (solarHours - 12) * RAD;
  const d = declination(ts);
  const sign = g.latitude >= 0 ? 1 : -1;
  const pe = (g.latitude - sign * g.tilt) * RAD;
  const cosInc = Math.max(0, Math.sin(pe) * Math.sin(d) + Math.cos(pe) * Math.cos(d) * Math.cos(h));
  return beam * cosInc + 0.1 * beam * sinEl;
}
