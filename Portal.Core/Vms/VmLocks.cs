using System.Collections.Concurrent;
using Npgsql;
using Portal.Core.Persistence;

namespace Portal.Core.Vms;

/// <summary>
/// One operation per VM at a time, after oVirt's exclusive VM lock. A second caller is refused at once and told
/// which operation holds the VM; background processing may wait instead.
/// On PostgreSQL the lock is also a session advisory lock in the database, so it holds across portal processes
/// sharing the database (see docs/SCALE-OUT.md); a portal that dies releases it with its connection.
/// </summary>
public sealed class VmLocks
{
    /// <summary>What a VM locked by another portal process is reported as held by.</summary>
    public const string OtherInstance = "an operation on another portal instance";

    private readonly ConcurrentDictionary<Guid, string> _held = new();
    private readonly PostgresAdvisoryLocks? _shared;

    public VmLocks() { }

    public VmLocks(PortalConnection connection)
    {
        if (connection.DatabaseProvider == DatabaseProvider.PostgreSQL) _shared = new PostgresAdvisoryLocks(connection.DatabaseConnectionString);
    }

    public IDisposable? TryAcquire(Guid vmId, string operation, out string? heldBy)
    {
        if (_held.TryAdd(vmId, operation))
        {
            IDisposable? shared = null;
            if (_shared is not null)
            {
                try { shared = _shared.TryLock(vmId); }
                catch { _held.TryRemove(vmId, out _); throw; }
                if (shared is null)
                {
                    _held.TryRemove(vmId, out _);
                    heldBy = OtherInstance;
                    return null;
                }
            }
            heldBy = null;
            return new Releaser(this, vmId, shared);
        }
        heldBy = _held.TryGetValue(vmId, out var h) ? h : "another operation";
        return null;
    }

    public async Task<IDisposable> AcquireAsync(Guid vmId, string operation, CancellationToken ct)
    {
        while (true)
        {
            var l = TryAcquire(vmId, operation, out _);
            if (l is not null) return l;
            await Task.Delay(25, ct);
        }
    }

    /// <summary>The operation of this process that holds the VM, or null.</summary>
    public string? HeldBy(Guid vmId) => _held.TryGetValue(vmId, out var h) ? h : null;

    private sealed class Releaser(VmLocks owner, Guid vmId, IDisposable? shared) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            try { shared?.Dispose(); }
            finally { owner._held.TryRemove(vmId, out _); }
        }
    }
}

/// <summary>
/// <c>pg_try_advisory_lock</c> on a connection kept open while the lock is held: the lock is the session's, so it ends
/// with the unlock or with the connection (a crashed portal's locks go with its sessions).
/// </summary>
internal sealed class PostgresAdvisoryLocks(string connectionString)
{
    // Its own pool, so that lock sessions never wait behind queries for a connection.
    private readonly string _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "portal-vm-locks" }.ConnectionString;

    /// <summary>The 64-bit advisory key of a VM: both halves of its id folded together.</summary>
    public static long KeyOf(Guid vmId)
    {
        Span<byte> b = stackalloc byte[16];
        vmId.TryWriteBytes(b);
        return BitConverter.ToInt64(b[..8]) ^ BitConverter.ToInt64(b[8..]);
    }

    public IDisposable? TryLock(Guid vmId)
    {
        var key = KeyOf(vmId);
        var c = new NpgsqlConnection(_connectionString);
        try
        {
            c.Open();
            using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", c) { Parameters = { new() { Value = key } } };
            if ((bool)cmd.ExecuteScalar()!) return new Held(c, key);
        }
        catch
        {
            c.Dispose();
            throw;
        }
        c.Dispose();
        return null;
    }

    private sealed class Held(NpgsqlConnection c, long key) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", c) { Parameters = { new() { Value = key } } };
                cmd.ExecuteScalar();
            }
            catch (NpgsqlException) { /* a broken session has released the lock already */ }
            finally { c.Dispose(); }
        }
    }
}
