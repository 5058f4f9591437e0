namespace Engine.Cluster;

/// <summary>A message taken from the cluster bus.</summary>
/// <param name="Subject">The subject without the cluster prefix (e.g. <c>doc.arena</c>).</param>
/// <param name="Payload">The bytes as published; valid only during the handler call.</param>
/// <param name="SenderInstance">The publishing instance's <see cref="IClusterBus.InstanceId"/>, or null when the message carried none (not from Engine).</param>
public readonly record struct ClusterMessage(string Subject, ReadOnlyMemory<byte> Payload, string? SenderInstance);

/// <summary>
/// What joins Engine instances: fire-and-forget publish/subscribe on subjects under the cluster's
/// prefix. With no configuration it is <see cref="InProcessClusterBus"/> (one process is the whole
/// cluster); with <c>Engine:Nats:Url</c> it is NATS. Nothing here is reliable: a message may be
/// dropped (disconnected, a full queue), and users repair by anti-entropy or JetStream.
/// </summary>
public interface IClusterBus : IAsyncDisposable
{
    /// <summary>This process's name in the cluster, unique per process start.</summary>
    string InstanceId { get; }

    /// <summary>This process's hybrid-logical-clock node id: random, non-zero, new per process start.</summary>
    uint NodeId { get; }

    /// <summary>True when other instances may exist (NATS); false for the in-process bus.</summary>
    bool IsClustered { get; }

    /// <summary>True while messages can reach the other instances.</summary>
    bool IsConnected { get; }

    /// <summary>Raised on a bus thread when <see cref="IsConnected"/> changes (true: connected again).</summary>
    event Action<bool>? ConnectionChanged;

    /// <summary>
    /// Queues <paramref name="payload"/> (copied) for <c>&lt;cluster&gt;.&lt;subject&gt;</c> and returns at
    /// once; never blocks. The outbound queue is bounded: when full the oldest queued message is
    /// dropped and counted. Returns false when the message was refused (payload over the limit).
    /// </summary>
    bool Publish(string subject, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Delivers messages on <c>&lt;cluster&gt;.&lt;subject&gt;</c> (NATS wildcards <c>*</c> and <c>&gt;</c>)
    /// to <paramref name="handler"/>, one at a time per subscription, on a bus thread, including this
    /// instance's own (check <see cref="ClusterMessage.SenderInstance"/>). The handler must not block;
    /// an exception it throws is logged and counted, and the subscription carries on. Each
    /// subscription's inbound queue is bounded; when full, new messages are dropped and counted.
    /// Dispose the result to unsubscribe.
    /// </summary>
    IAsyncDisposable Subscribe(string subject, Action<ClusterMessage> handler);
}
