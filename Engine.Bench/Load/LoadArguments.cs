using System.Globalization;

namespace Engine.Bench.Load;

/// <summary>Command-line settings of the load scenarios.</summary>
internal sealed record LoadArguments
{
    public int Clients { get; init; } = 100;

    public int Rate { get; init; } = 30;

    public int Entities { get; init; } = 64;

    public int EventsPerTick { get; init; }

    public int EventBytes { get; init; } = 64;

    public int Seconds { get; init; } = 10;

    public int WarmupSeconds { get; init; } = 2;

    public static LoadArguments Parse(string[] args)
    {
        var result = new LoadArguments();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            result = args[i] switch
            {
                "--clients" => result with { Clients = value },
                "--rate" => result with { Rate = value },
                "--entities" => result with { Entities = value },
                "--events-per-tick" => result with { EventsPerTick = value },
                "--event-bytes" => result with { EventBytes = value },
                "--seconds" => result with { Seconds = value },
                "--warmup" => result with { WarmupSeconds = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}; see Engine.Bench/Load/README.md."),
            };
        }

        return result;
    }

    public string[] ToServerArgs() =>
    [
        "--clients", Clients.ToString(CultureInfo.InvariantCulture),
        "--rate", Rate.ToString(CultureInfo.InvariantCulture),
        "--entities", Entities.ToString(CultureInfo.InvariantCulture),
        "--events-per-tick", EventsPerTick.ToString(CultureInfo.InvariantCulture),
        "--event-bytes", EventBytes.ToString(CultureInfo.InvariantCulture),
    ];
}
