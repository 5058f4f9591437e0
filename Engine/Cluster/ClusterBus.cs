using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>Picks the cluster bus the options ask for.</summary>
public static class ClusterBus
{
    /// <summary>
    /// <see cref="InProcessClusterBus"/> when <see cref="ClusterOptions.Url"/> is empty (a cluster of
    /// one), else a <see cref="NatsClusterBus"/> that connects in the background: this returns without
    /// waiting for NATS, and the bus reports <see cref="IClusterBus.IsConnected"/> once connected.
    /// </summary>
    /// <param name="options">Cluster settings (validated here).</param>
    /// <param name="loggerFactory">For the bus's logs.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IClusterBus Create(ClusterOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        return options.IsClustered ? NatsClusterBus.StartConnecting(options, loggerFactory) : new InProcessClusterBus();
    }
}
