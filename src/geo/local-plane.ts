/**
 * A local tangent plane: positions given in metres east/north of an origin, converted to WGS84
 * longitude/latitude with the ellipsoid's metres-per-degree at the origin's latitude. Over a
 * few kilometres the error is centimetres, which is what building-scale work (generated test
 * data, local offsets) needs; it is not a map projection for large areas.
 */

export interface LonLat {
  lon: number;
  lat: number;
}

/** Metres per degree of latitude and of longitude at latitude `latDeg` (WGS84 series expansion). */
export function metresPerDegree(latDeg: number): { lat: number; lon: number } {
  const phi = (latDeg * Math.PI) / 180;
  return {
    lat: 111_132.954 - 559.822 * Math.cos(2 * phi) + 1.175 * Math.cos(4 * phi),
    lon: 111_412.84 * Math.cos(phi) - 93.5 * Math.cos(3 * phi),
  };
}

/** [lon, lat] of the point `east` and `north` metres from `origin`. */
export function localToLonLat(origin: LonLat, east: number, north: number): number[] {
  const m = metresPerDegree(origin.lat);
  return [origin.lon + east / m.lon, origin.lat + north / m.lat];
}
