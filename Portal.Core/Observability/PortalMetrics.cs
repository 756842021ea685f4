using System.Diagnostics;
using System.Diagnostics.Metrics;
using Portal.Core.Commands;
using Portal.Core.Hosts;

namespace Portal.Core.Observability;

/// <summary>
/// The portal's own metrics, on one <see cref="Meter"/> named <see cref="MeterName"/>: operations by kind and outcome
/// with their durations, memory dumps (bytes and duration), the lag of libvirt events, open circuits and each host's
/// connection state. Exported by OpenTelemetry (Prometheus names in brackets: dots become underscores, units and
/// <c>_total</c> are appended).
/// </summary>
public sealed class PortalMetrics
{
    public const string MeterName = "Portal";

    private readonly Counter<long> _operations;
    private readonly Histogram<double> _operationDuration;
    private readonly Histogram<long> _dumpSize;
    private readonly Histogram<double> _dumpDuration;
    private readonly Histogram<double> _eventLag;
    private readonly UpDownCounter<long> _circuits;

    public PortalMetrics(IMeterFactory meters, HostConnections hosts)
    {
        var meter = meters.Create(MeterName);
        // [portal_operations_total]
        _operations = meter.CreateCounter<long>("portal.operations", "{operation}",
            "Operations run through the command pipeline, by kind (operation) and outcome (ok, invalid, notfound, conflict, forbidden, failed).");
        // [portal_operation_duration_seconds]
        _operationDuration = meter.CreateHistogram<double>("portal.operation.duration", "s",
            "How long an operation took, from its authorization to its audit entry, by kind and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] });
        // [portal_memory_dump_size_bytes]
        _dumpSize = meter.CreateHistogram<long>("portal.memory_dump.size", "By",
            "Bytes of each memory dump written by a snapshot with memory, by storage domain kind (File, Block).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [64L << 20, 256L << 20, 512L << 20, 1L << 30, 2L << 30, 4L << 30, 8L << 30, 16L << 30, 32L << 30, 64L << 30] });
        // [portal_memory_dump_duration_seconds]
        _dumpDuration = meter.CreateHistogram<double>("portal.memory_dump.duration", "s",
            "How long libvirt took to take a snapshot with memory (the dump), by storage domain kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300] });
        // [portal_libvirt_event_lag_seconds]
        _eventLag = meter.CreateHistogram<double>("portal.libvirt.event.lag", "s",
            "From a libvirt lifecycle event's arrival to the VM status it caused being stored and published.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        // [portal_circuits_open]
        _circuits = meter.CreateUpDownCounter<long>("portal.circuits.open", "{circuit}",
            "Blazor circuits (browser tabs with a live connection) open now.");
        _circuits.Add(0); // exported as 0 before the first circuit, so a dashboard shows 0 rather than no data
        // [portal_host_connected]
        meter.CreateObservableGauge("portal.host.connected", () => hosts.All.Select(h =>
                new Measurement<int>(h.State == HostState.Connected ? 1 : 0,
                    new KeyValuePair<string, object?>("host", h.Name), new KeyValuePair<string, object?>("primary", h.IsPrimary))),
            "{connected}", "1 while the portal's connection to the host is up, 0 while it is connecting or disconnected.");
    }

    public void OperationEnded(string operation, ResultKind outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome.ToString().ToLowerInvariant() } };
        _operations.Add(1, tags);
        _operationDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void MemoryDumped(long bytes, TimeSpan elapsed, string domainKind)
    {
        var tags = new TagList { { "domain_kind", domainKind } };
        _dumpSize.Record(bytes, tags);
        _dumpDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void EventHandled(TimeSpan lag) => _eventLag.Record(Math.Max(0, lag.TotalSeconds));

    public void CircuitOpened() => _circuits.Add(1);

    public void CircuitClosed() => _circuits.Add(-1);
}
