namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>How one direction of the simulated network treats datagrams. Rates are probabilities per datagram.</summary>
public sealed record NetworkConditions
{
    public static NetworkConditions Perfect { get; } = new();

    public double Loss { get; init; }

    public double Duplication { get; init; }

    /// <summary>Chance a datagram is held back by up to <see cref="ReorderWindow"/> extra, so later ones overtake it.</summary>
    public double Reordering { get; init; }

    public TimeSpan ReorderWindow { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Chance one random byte of the datagram is flipped.</summary>
    public double Corruption { get; init; }

    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan Jitter { get; init; }

    /// <summary>Datagrams larger than this are dropped, as a path with this MTU would.</summary>
    public int Mtu { get; init; } = 1500;
}
