using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>Command-line settings of <c>datagram-echo</c> (Engine.Bench/Load/README.md, "datagram-echo").</summary>
internal sealed record DatagramEchoArguments
{
    /// <summary>The stacks, in the order <c>--compare</c> runs them; the first is the floor the others are divided by.</summary>
    public static readonly string[] Stacks = ["udp", "quic", "wt", "wt-driver"];

    /// <summary><c>--stack udp|quic|wt</c>: raw UDP sockets, Engine's public QUIC API, or a WebTransport session.</summary>
    public string Stack { get; init; } = "udp";

    /// <summary><c>--compare</c>: every stack, one after the other, with the same parameters; ends with a ratio table against udp.</summary>
    public bool Compare { get; init; }

    /// <summary><c>--size N</c>: datagram payload bytes (at least 16: stamp, slot, sequence).</summary>
    public int Size { get; init; } = 200;

    /// <summary><c>--warmup N</c>: round trips before the measured ones (not recorded in the measured window).</summary>
    public int Warmup { get; init; } = 2_000;

    /// <summary><c>--count N</c>: measured round trips.</summary>
    public int Count { get; init; } = 20_000;

    /// <summary><c>--concurrency N</c>: pings outstanding at once.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary><c>--first-seconds N</c>: the first N s after the connection opened are reported on their own; the measured window starts after them.</summary>
    public int FirstSeconds { get; init; } = 10;

    /// <summary><c>--pin</c>: server on CPU 0, client on CPU 1 (taskset), when taskset exists and the machine has two CPUs.</summary>
    public bool Pin { get; init; }

    /// <summary><c>--wait-quiet N</c>: before starting each server, wait up to N s for a nearly idle second.</summary>
    public int WaitQuietSeconds { get; init; }

    public IEnumerable<string> StacksToRun => Compare ? Stacks : [Stack];

    public static DatagramEchoArguments Parse(string[] args)
    {
        var result = new DatagramEchoArguments();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--compare":
                    result = result with { Compare = true };
                    continue;
                case "--pin":
                    result = result with { Pin = true };
                    continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            string value = args[++i];
            result = args[i - 1] switch
            {
                "--stack" => result with { Stack = Stacks.Contains(value) ? value : throw new ArgumentException($"Unknown stack {value}; the stacks are {string.Join(", ", Stacks)}.") },
                "--size" => result with { Size = Math.Max(16, Number(value)) },
                "--warmup" => result with { Warmup = Number(value) },
                "--count" => result with { Count = Math.Max(1, Number(value)) },
                "--concurrency" => result with { Concurrency = Math.Max(1, Number(value)) },
                "--first-seconds" => result with { FirstSeconds = Number(value) },
                "--wait-quiet" => result with { WaitQuietSeconds = Number(value) },
                _ => throw new ArgumentException($"Unknown option {args[i - 1]}; see Engine.Bench/Load/README.md."),
            };
        }

        return result;
    }

    private static int Number(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
