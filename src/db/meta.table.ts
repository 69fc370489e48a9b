/** Facts about this installation, such as whether the demo organization was created. */
export interface GatehouseMetaTable {
  key: string;
  value: string;
}
