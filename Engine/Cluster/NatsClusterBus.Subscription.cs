using System.Threading.Channels;
using Microsoft.Extensions.Primitives;
using NATS.Client.Core;

namespace Engine.Cluster;

public sealed partial class NatsClusterBus
{
    /// <summary>How long a failed subscription waits before it subscribes again.</summary>
    private static readonly TimeSpan ResubscribeDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// One subscription: a task that subscribes (waiting for the connection when it is not open),
    /// reads the NATS subscription's bounded channel (capacity <see cref="ClusterOptions.InboundQueueCapacity"/>,
    /// newest dropped when full, counted in <see cref="InboundDropped"/>) and runs the handler on each
    /// message in turn. If the NATS subscription ends without being disposed, it subscribes again.
    /// </summary>
    private sealed class Subscription(NatsClusterBus bus, string subject, Action<ClusterMessage> handler) : IAsyncDisposable
    {
        private readonly string _natsSubject = bus._prefix + subject;
        private readonly bool _hasWildcard = subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal);
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;

        /// <summary>The managed thread running the handler now, or 0; lets a handler dispose its own subscription.</summary>
        private int _handlerThread;
        private int _stopped;

        public void Start() => _run = Task.Run(RunAsync);

        public async ValueTask DisposeAsync()
        {
            bus.Forget(this);
            await StopAsync(DisposeSubscriptionTimeout).ConfigureAwait(false);
        }

        /// <summary>Stops delivery and unsubscribes; waits (up to <paramref name="timeout"/>) for a running handler unless called from it.</summary>
        public async Task StopAsync(TimeSpan timeout)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                return;
            }

            // Read before the first await, which may resume on another thread.
            bool fromHandler = Volatile.Read(ref _handlerThread) == Environment.CurrentManagedThreadId;
            await _stop.CancelAsync().ConfigureAwait(false);
            if (fromHandler)
            {
                // Called from inside the handler (perhaps blocking on this task): the loop ends after it returns.
                return;
            }

            await _run.WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_run.IsCompleted)
            {
                _stop.Dispose();
            }
        }

        private async Task RunAsync()
        {
            CancellationToken stop = _stop.Token;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Before the first connection, NATS.Client.Core would run one more initial-connect retry loop per
                    // waiting subscriber; after it, a subscribe waits for the reconnect, and NATS.Client.Core renews
                    // every subscription after each reconnect.
                    await bus._firstConnected.Task.WaitAsync(stop).ConfigureAwait(false);
                    INatsSub<NatsMemoryOwner<byte>> sub = await bus._connection.SubscribeCoreAsync(
                        _natsSubject,
                        serializer: NatsRawSerializer<NatsMemoryOwner<byte>>.Default,
                        opts: bus._subscriptionOptions,
                        cancellationToken: stop).ConfigureAwait(false);
                    await using (sub.ConfigureAwait(false))
                    {
                        await DeliverAsync(sub.Msgs, stop).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception) when (exception is not OutOfMemoryException && !stop.IsCancellationRequested)
                {
                    Log.SubscriptionFailed(bus._logger, exception, bus._cluster, subject);
                }

                // The NATS subscription ended without our asking (or failed): subscribe again.
                await Task.Delay(ResubscribeDelay, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        private async Task DeliverAsync(ChannelReader<NatsMsg<NatsMemoryOwner<byte>>> messages, CancellationToken stop)
        {
            while (await messages.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                while (messages.TryRead(out NatsMsg<NatsMemoryOwner<byte>> message))
                {
                    NatsMemoryOwner<byte> data = message.Data;
                    try
                    {
                        if (stop.IsCancellationRequested)
                        {
                            continue;
                        }

                        Deliver(message, data.Memory);
                    }
                    finally
                    {
                        data.Dispose();
                    }
                }
            }
        }

        private void Deliver(in NatsMsg<NatsMemoryOwner<byte>> message, ReadOnlyMemory<byte> payload)
        {
            string? sender = message.Headers is { } headers && headers.TryGetValue(InstanceHeader, out StringValues value) ? value.ToString() : null;
            Interlocked.Increment(ref bus._received);
            Volatile.Write(ref _handlerThread, Environment.CurrentManagedThreadId);
            try
            {
                handler(new ClusterMessage(Unprefixed(message.Subject), payload, sender));
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Interlocked.Increment(ref bus._handlerErrors);
                Log.HandlerFailed(bus._logger, exception, bus._cluster, subject);
            }
            finally
            {
                Volatile.Write(ref _handlerThread, 0);
            }
        }

        private string Unprefixed(string natsSubject)
        {
            if (!_hasWildcard)
            {
                // Without wildcards the subject is the pattern itself: no new string per message.
                return subject;
            }

            return natsSubject.StartsWith(bus._prefix, StringComparison.Ordinal) ? natsSubject[bus._prefix.Length..] : natsSubject;
        }
    }

    /// <summary>NATS subject syntax, checked before a subject reaches the connection.</summary>
    internal static class SubjectSyntax
    {
        /// <summary>
        /// True for dot-separated non-empty tokens without whitespace; with <paramref name="allowWildcards"/>,
        /// '*' may be a whole token and '&gt;' the whole last token.
        /// </summary>
        public static bool IsValid(string? subject, bool allowWildcards)
        {
            if (string.IsNullOrEmpty(subject))
            {
                return false;
            }

            int tokenStart = 0;
            for (int i = 0; i <= subject.Length; i++)
            {
                if (i < subject.Length && subject[i] != '.')
                {
                    char c = subject[i];
                    if (char.IsWhiteSpace(c) || char.IsControl(c))
                    {
                        return false;
                    }

                    continue;
                }

                ReadOnlySpan<char> token = subject.AsSpan(tokenStart, i - tokenStart);
                if (token.IsEmpty)
                {
                    return false;
                }

                bool wildcardChar = token.Contains('*') || token.Contains('>');
                if (wildcardChar)
                {
                    bool last = i == subject.Length;
                    bool ok = allowWildcards && (token is "*" || (token is ">" && last));
                    if (!ok)
                    {
                        return false;
                    }
                }

                tokenStart = i + 1;
            }

            return true;
        }
    }
}
