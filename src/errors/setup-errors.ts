/**
 * Errors of setting up: the database cannot be reached, an embedded data directory is held by another
 * process, an app is missing, not migrated, conflicting or carries an edited migration.
 */
import { ErrorCode, HotMeshError } from './base.js';

/** The database could not be reached: names where the setting came from, what was tried, and what to check. */
export class ConnectionError extends HotMeshError {
  constructor(
    readonly source: string,
    readonly where: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot connect to PostgreSQL at ${where} (from ${source === 'connection' ? 'the connection option' : source}): ${reason}. ` +
        `Check that the server runs and accepts connections there, and the host, port, user, password and database` +
        `${source === 'DATABASE_URL' ? ' in DATABASE_URL (unset it to use the embedded database)' : ''}.`,
      { cause },
    );
  }
}

/** A second process tried to open an embedded data directory that a live process holds. */
export class DataDirLockedError extends HotMeshError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      pid === process.pid
        ? `The embedded database at ${dataDir} is already open in this process (${pid}), under this or another path, ` +
            `and was not closed in time. Open it once per process (one MemFlow connection per data directory).`
        : `The embedded database at ${dataDir} is in use by process ${pid}. ` +
            `PGlite serves one process only: point every process at PostgreSQL (DATABASE_URL) to run several.`,
    );
  }
}

/**
 * A management command named an app the database does not have (a typo in `--app`, or a database no
 * process has provisioned it on). Reading commands refuse rather than create an empty app.
 */
export class AppNotFoundError extends HotMeshError {
  readonly code = ErrorCode.NOT_FOUND;
  constructor(
    readonly appId: string,
    readonly knownApps: readonly string[],
  ) {
    super(
      `No app '${appId}' in this database (` +
        (knownApps.length === 0
          ? 'it has no apps yet'
          : `its apps: ${knownApps.slice(0, 10).join(', ')}${knownApps.length > 10 ? ` and ${knownApps.length - 10} more` : ''}`) +
        `). Start a worker or run \`hotmesh migrate --app ${appId}\` to create it.`,
    );
  }
}

/**
 * The app's schema is older than this build's migrations, and the caller does not migrate (the
 * `hotmesh` CLI changes a schema only in `hotmesh migrate`, never as a side effect of reading it).
 */
export class AppMigrationsPendingError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly pending: readonly string[],
  ) {
    super(
      `App '${appId}' has ${pending.length} migration(s) this build ships and its schema lacks (${pending.join(', ')}). ` +
        `Run \`hotmesh migrate --app ${appId}\` (or start a worker of this version) to apply them.`,
    );
  }
}

/** The appId maps to a schema another app already owns. */
export class AppSchemaConflictError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly schema: string,
    readonly ownerAppId: string,
  ) {
    super(`appId '${appId}' maps to schema '${schema}', which belongs to appId '${ownerAppId}'`);
  }
}

/**
 * An applied migration's text differs from the text this build ships (it was edited after it ran):
 * the app's schema is not what the code expects, so the app does not start.
 */
export class MigrationChecksumError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly schema: string,
    readonly version: number,
    readonly migration: string,
    readonly recordedChecksum: string,
    readonly shippedChecksum: string,
  ) {
    const file = `${String(version).padStart(4, '0')}_${migration}.sql`;
    super(
      `App '${appId}' (schema ${schema}) cannot start: migration ${file} was applied with a different text ` +
        `(recorded checksum ${recordedChecksum.slice(0, 12)}…, this build ships ${shippedChecksum.slice(0, 12)}…). ` +
        `Applied migrations are append-only: restore ${file} as it was released and put the change in a new numbered migration. ` +
        `If the edit is known to be harmless (a comment), record the new checksum in hotmesh_registry.migrations.`,
    );
  }
  override get retryable(): boolean {
    return false;
  }
}

/**
 * A call on a `MemFlow.init` instance after its `shutdown()`: the instance does not open its engines
 * and connections again behind the caller's back (they would stay open, with no one to close them).
 */
export class ShutdownError extends HotMeshError {
  constructor(readonly appId: string) {
    super(`This MemFlow instance (appId '${appId}') was shut down: call MemFlow.init again for a new one.`);
  }
  override get retryable(): boolean {
    return false;
  }
}
