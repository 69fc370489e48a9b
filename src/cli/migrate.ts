import { migrateToLatest } from '../db/migrate.ts';
import { openStorage } from '../db/open.ts';
import type { Command } from './command.ts';

export const migrate: Command = {
  name: 'migrate',
  summary: 'Bring the database schema up to date (start does this too)',
  synopsis: 'migrate [--json]',
  options: {},
  async run({ config }) {
    const storage = await openStorage(config, { create: true });
    try {
      const { applied } = await migrateToLatest(storage);
      return {
        json: { applied, store: storage.dialect },
        text: applied.length === 0 ? `The ${storage.dialect} schema is up to date.\n` : `Applied ${applied.join(', ')} to ${storage.dialect}.\n`,
      };
    } finally {
      await storage.close();
    }
  },
};
