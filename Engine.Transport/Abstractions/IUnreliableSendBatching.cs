namespace Engine.Transport.Abstractions;

/// <summary>
/// A session whose unreliable sends can be grouped with other sessions': sessions that share an I/O
/// loop (every WebTransport session on one UDP socket) return the same <see cref="UnreliableSendGroup"/>,
/// and a tick's sends to all of them inside one <see cref="UnreliableSendGroup.Run{TState}"/> cost one
/// visit to that loop (one lock, one flush) instead of one per send.
/// </summary>
public interface IUnreliableSendBatching
{
    /// <summary>The group this session's unreliable sends join; the same instance for every session on the same I/O loop.</summary>
    UnreliableSendGroup SendGroup { get; }
}

/// <summary>A shared I/O loop that can take many sessions' unreliable sends in one visit.</summary>
public abstract class UnreliableSendGroup
{
    /// <summary>
    /// Runs <paramref name="action"/> on the caller's thread while holding the loop; unreliable sends
    /// to this group's sessions made inside it are queued, and all leave together when it returns.
    /// The action must be short and must not wait for the loop itself.
    /// </summary>
    public abstract void Run<TState>(TState state, Action<TState> action)
        where TState : allows ref struct;
}
