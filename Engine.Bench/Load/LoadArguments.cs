using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>Command-line settings of the load scenarios (Engine.Bench/Load/README.md lists them).</summary>
internal sealed record LoadArguments
{
    /// <summary>The baseline server: Engine.Bench/Load/node-ws-baseline.</summary>
    public const string NodeWsBaseline = "node-ws";

    public int Clients { get; init; } = 100;

    public int Rate { get; init; } = 30;

    public int Entities { get; init; } = 64;

    public int EventsPerTick { get; init; }

    public int EventBytes { get; init; } = 64;

    public int Seconds { get; init; } = 10;

    public int WarmupSeconds { get; init; } = 2;

    /// <summary><c>--wait-quiet N</c>: before starting each server, wait up to N s for a second in which the machine is nearly idle.</summary>
    public int WaitQuietSeconds { get; init; }

    /// <summary>
    /// <c>--baseline node-ws|ws|wt</c>: load that target instead of the command's own; with
    /// <c>--compare</c> (or <c>--compare TARGET</c>): as well as it, second. Null: the command's
    /// default (load-ws compares with node-ws, load-wt with ws).
    /// </summary>
    public string? Baseline { get; init; }

    /// <summary><c>--compare</c>: the command's target, then the other one, with the same load; ends with a ratio table.</summary>
    public bool Compare { get; init; }

    /// <summary><c>--baseline-tls false</c>: the baseline serves plain ws:// instead of wss:// (to see what TLS costs it).</summary>
    public bool BaselineTls { get; init; } = true;

    /// <summary>
    /// <c>--mode entities|opaque</c>: <c>entities</c> runs <see cref="BenchEntityRoom"/> (entity
    /// snapshots: deltas against the client's acknowledged tick, decoded and acknowledged by the load
    /// clients); <c>opaque</c> runs <see cref="BenchRoom"/> (an opaque state blob, what the node-ws
    /// baseline mimics). Null: the command's default (load-wt: entities, load-ws: opaque).
    /// </summary>
    public string? Mode { get; init; }

    public bool EntityMode => Mode == "entities";

    /// <summary><c>--first-seconds N</c>: a window of N s right after the last client joined, reported on its own (the warm start); 0: none.</summary>
    public int FirstSeconds { get; init; }

    /// <summary><c>--ack-ms N</c> (entity mode): acknowledge every applied snapshot (0) or at most once per N ms.</summary>
    public int AckMilliseconds { get; init; }

    /// <summary><c>--udp-floor</c>: after the Engine runs, the raw-UDP floor with the same rate, receivers and bytes.</summary>
    public bool UdpFloor { get; init; }

    /// <summary>
    /// <c>--udp-floor-threads</c>: each floor receiver blocks on a thread of its own, as each
    /// WebTransport load client's driver thread does, instead of an async loop on the pool. Waking
    /// one thread per datagram costs the sender too (the wake-up, and being preempted on 2 cores),
    /// so this floor is the fair one to set against WebTransport's server CPU.
    /// </summary>
    public bool UdpFloorThreads { get; init; }

    /// <summary><c>--udp-bytes N</c>: the floor's datagram size; 0: the mean entity/state snapshot message size the first Engine run received.</summary>
    public int UdpBytes { get; init; }

    /// <summary>Server side only (<c>serve --udp-floor-bytes N</c>): run the floor's sender with N-byte datagrams.</summary>
    public int UdpFloorBytes { get; init; }

    /// <summary><c>--json FILE</c>: append this run's results to FILE (a JSON array; <c>chart</c> renders it).</summary>
    public string? JsonPath { get; init; }

    /// <summary><c>--label TEXT</c>: the run's name in the JSON (default: clients and rate).</summary>
    public string? Label { get; init; }

    /// <summary><c>--connect-parallel N</c>: clients connecting at once (WebTransport handshakes take ~0.1 s each here).</summary>
    public int ConnectParallel { get; init; } = 8;

    /// <summary>Server side (<c>serve</c>, <c>nats-publish</c>): the NATS server to join (<c>Engine:Nats:Url</c>); null: no cluster.</summary>
    public string? NatsUrl { get; init; }

    /// <summary>Server side: the cluster's name (<c>Engine:Nats:ClusterName</c>, the subject prefix).</summary>
    public string? ClusterName { get; init; }

    /// <summary>
    /// <c>serve --room-owner ID</c>: every room is owned by the instance with this id
    /// (<see cref="FixedOwnerLeases"/>), so this instance relays its players there; null: Engine's
    /// default leases.
    /// </summary>
    public string? RoomOwner { get; init; }

    /// <summary><c>nats-publish --flat-out</c>: publish tick after tick without waiting for the schedule (the raw NATS ceiling).</summary>
    public bool FlatOut { get; init; }

    /// <summary><c>cluster-fanout --nats-max-seconds N</c>: the flat-out raw NATS window (0: not run).</summary>
    public int NatsMaxSeconds { get; init; } = 5;

    /// <summary><c>cluster-fanout --nats-server PATH</c>: the nats-server executable.</summary>
    public string NatsServerPath { get; init; } = "/usr/sbin/nats-server";

    /// <summary>Tick period in ms.</summary>
    public double PeriodMs => 1000.0 / Rate;

    public static LoadArguments Parse(string[] args)
    {
        var result = new LoadArguments();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--compare")
            {
                // --compare [target]: the target is optional (load-ws: node-ws, load-wt: ws).
                bool named = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
                result = result with { Compare = true, Baseline = named ? Target(args[++i]) : result.Baseline };
                continue;
            }

            if (args[i] == "--udp-floor")
            {
                result = result with { UdpFloor = true };
                continue;
            }

            if (args[i] == "--udp-floor-threads")
            {
                result = result with { UdpFloor = true, UdpFloorThreads = true };
                continue;
            }

            if (args[i] == "--flat-out")
            {
                result = result with { FlatOut = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            string value = args[++i];
            result = args[i - 1] switch
            {
                "--clients" => result with { Clients = Number(value) },
                "--rate" => result with { Rate = Number(value) },
                "--entities" => result with { Entities = Number(value) },
                "--events-per-tick" => result with { EventsPerTick = Number(value) },
                "--event-bytes" => result with { EventBytes = Number(value) },
                "--seconds" => result with { Seconds = Number(value) },
                "--warmup" => result with { WarmupSeconds = Number(value) },
                "--wait-quiet" => result with { WaitQuietSeconds = Number(value) },
                "--baseline" => result with { Baseline = Target(value) },
                "--baseline-tls" => result with { BaselineTls = bool.Parse(value) },
                "--mode" => result with { Mode = value is "entities" or "opaque" ? value : throw new ArgumentException("--mode is entities or opaque.") },
                "--first-seconds" => result with { FirstSeconds = Number(value) },
                "--ack-ms" => result with { AckMilliseconds = Number(value) },
                "--udp-bytes" => result with { UdpBytes = Number(value) },
                "--udp-floor-bytes" => result with { UdpFloorBytes = Number(value) },
                "--json" => result with { JsonPath = value },
                "--label" => result with { Label = value },
                "--connect-parallel" => result with { ConnectParallel = Number(value) },
                "--nats-url" => result with { NatsUrl = value },
                "--cluster-name" => result with { ClusterName = value },
                "--room-owner" => result with { RoomOwner = value },
                "--nats-max-seconds" => result with { NatsMaxSeconds = Number(value) },
                "--nats-server" => result with { NatsServerPath = value },
                _ => throw new ArgumentException($"Unknown option {args[i - 1]}; see Engine.Bench/Load/README.md."),
            };
        }

        return result;
    }

    /// <summary>A target name (ws, wt, node-ws), checked.</summary>
    private static string Target(string value)
    {
        _ = LoadTarget.For(value); // throws for an unknown name
        return value;
    }

    private static int Number(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    public string[] ToServerArgs() =>
    [
        "--clients", Clients.ToString(CultureInfo.InvariantCulture),
        "--rate", Rate.ToString(CultureInfo.InvariantCulture),
        "--entities", Entities.ToString(CultureInfo.InvariantCulture),
        "--events-per-tick", EventsPerTick.ToString(CultureInfo.InvariantCulture),
        "--event-bytes", EventBytes.ToString(CultureInfo.InvariantCulture),
        "--mode", EntityMode ? "entities" : "opaque",
    ];
}
