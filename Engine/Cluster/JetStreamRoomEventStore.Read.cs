using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Engine.Cluster;

/// <summary>Reading a room's events back: locate the first wanted event, then one bounded fetch.</summary>
public sealed partial class JetStreamRoomEventStore
{
    /// <summary>A read consumer left behind (the delete failed) is removed by the server after this idle time.</summary>
    private static readonly TimeSpan ReadConsumerInactiveThreshold = TimeSpan.FromSeconds(30);

    /// <summary>How long deleting a read consumer may take (best effort).</summary>
    private static readonly TimeSpan ConsumerDeleteTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// How it reads. The events of a room are the messages on its subject; their room sequences rise with
    /// the stream sequence, but other rooms' messages sit in between, so the stream sequence of event
    /// <c>afterSequence + 1</c> is not known. Replaying the subject from its start (DeliverAll with a
    /// filter, skipping old events) would send up to <see cref="RoomEventStoreOptions.MaxMessagesPerRoom"/>
    /// whole messages for every read, and LastPerSubject gives only the newest. Instead:
    /// </para>
    /// <list type="number">
    /// <item>"Get last message for subject" gives the newest event (its stream and room sequences): nothing
    /// newer than <c>afterSequence</c> ends the read here (one request).</item>
    /// <item>A binary search over stream sequences with "get next message for subject at or after stream
    /// sequence N" (<c>STREAM.MSG.GET</c> with <c>next_by_subj</c>, answered by the stream leader) finds
    /// the first message whose Engine-Sequence is above <c>afterSequence</c>: about log2 of the stream
    /// range the room spans, small requests each, and it stops early once it lands on the event itself
    /// or its predecessor.</item>
    /// <item>One ephemeral consumer filtered to the room's subject, DeliverByStartSequence at that stream
    /// sequence, no acks, in memory, delivers at most <c>max</c> events in one no-wait fetch and is deleted.</item>
    /// </list>
    /// <para>
    /// The result starts at the first stored event above <c>afterSequence</c> and stops before any gap.
    /// <c>Complete</c> is true when it starts at exactly <c>afterSequence + 1</c>, or when nothing newer is
    /// stored and <c>afterSequence</c> equals the last stored sequence; false when retention removed
    /// <c>afterSequence + 1</c> or <c>afterSequence</c> is ahead of the store (the reader must resync).
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">Invalid room name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative or <paramref name="max"/> below 1.</exception>
    /// <exception cref="ClusterUnavailableException">No answer within <see cref="RoomEventStoreOptions.ReadTimeout"/>.</exception>
    public async ValueTask<(IReadOnlyList<StoredRoomEvent> Events, bool Complete)> ReadAfterAsync(string room, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidRoom(room);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        return await RunAsync("read", room, _options.ReadTimeout, token => ReadAfterOnceAsync(room, afterSequence, max, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The events of <paramref name="fetched"/> (stream order) above <paramref name="afterSequence"/>, sorted, without repeats, up to the first gap.</summary>
    internal static (IReadOnlyList<StoredRoomEvent> Events, bool Complete) Assemble(long afterSequence, List<StoredRoomEvent> fetched)
    {
        // Stable sort by room sequence: out-of-order appends are put right, and of two copies of one
        // sequence (stored twice when appended again after the duplicate window) the first stays.
        StoredRoomEvent[] sorted = [.. fetched.Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence)];
        var events = new List<StoredRoomEvent>(sorted.Length);
        foreach (StoredRoomEvent stored in sorted)
        {
            if (events.Count > 0 && stored.Sequence == events[^1].Sequence)
            {
                continue;
            }

            if (events.Count > 0 && stored.Sequence != events[^1].Sequence + 1)
            {
                break; // A gap: return what is gap-free; a read after the last one reports the gap.
            }

            events.Add(stored);
        }

        return (events, events.Count > 0 && events[0].Sequence == afterSequence + 1);
    }

    /// <summary>The Engine-Sequence value in a raw header block (<c>NATS/1.0\r\nKey: value\r\n…</c>, base64 as JetStream's message get sends it), or null.</summary>
    internal static long? SequenceFromRawHeaders(string? base64Headers)
    {
        if (string.IsNullOrEmpty(base64Headers))
        {
            return null;
        }

        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(base64Headers);
        }
        catch (FormatException)
        {
            return null;
        }

        foreach (string line in Encoding.Latin1.GetString(raw).Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(SequenceHeader, StringComparison.OrdinalIgnoreCase))
            {
                return ParseSequence(line[(colon + 1)..].Trim());
            }
        }

        return null;
    }

    private static long? ParseSequence(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= 1 ? value : null;

    private async Task<(IReadOnlyList<StoredRoomEvent> Events, bool Complete)> ReadAfterOnceAsync(string room, long afterSequence, int max, CancellationToken cancellationToken)
    {
        string subject = _subjectPrefix + room;
        if (await GetMessageAsync(new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken).ConfigureAwait(false) is not { } last)
        {
            // Nothing stored: complete only for a reader that has seen nothing either.
            return ([], afterSequence == 0);
        }

        if (afterSequence >= last.RoomSequence)
        {
            // Nothing newer; a reader ahead of the store saw events the store does not have.
            return ([], afterSequence == last.RoomSequence);
        }

        ulong start = await LocateAsync(subject, afterSequence, last, cancellationToken).ConfigureAwait(false);
        int want = (int)Math.Min(max, last.RoomSequence - afterSequence);
        List<StoredRoomEvent> fetched = await FetchAsync(subject, start, want, cancellationToken).ConfigureAwait(false);
        (IReadOnlyList<StoredRoomEvent> events, bool complete) = Assemble(afterSequence, fetched);
        if (!complete)
        {
            EventStoreLog.EventsMissing(_logger, _cluster, room, afterSequence, afterSequence + 1, events.Count > 0 ? events[0].Sequence : 0);
        }

        return (events, complete);
    }

    /// <summary>
    /// The stream sequence to start reading <paramref name="subject"/> from: that of the first message
    /// whose room sequence is above <paramref name="afterSequence"/>. Binary search over positions x with
    /// "next message on the subject at or after x"; the answer lies in (lo, hi], where the message at lo
    /// is at or below <paramref name="afterSequence"/> and next(hi) = answer is above it.
    /// </summary>
    private async Task<ulong> LocateAsync(string subject, long afterSequence, Probe last, CancellationToken cancellationToken)
    {
        if (await NextOnSubjectAsync(subject, 1, cancellationToken).ConfigureAwait(false) is not { } first || first.RoomSequence > afterSequence)
        {
            // Everything kept is newer (or was removed just now): read from the oldest kept.
            return 0;
        }

        ulong lo = first.StreamSequence;
        ulong hi = last.StreamSequence;
        ulong answer = last.StreamSequence;
        if (first.RoomSequence == afterSequence)
        {
            return (await NextOnSubjectAsync(subject, first.StreamSequence + 1, cancellationToken).ConfigureAwait(false))?.StreamSequence ?? answer;
        }

        while (hi - lo > 1)
        {
            ulong mid = lo + ((hi - lo) / 2);
            if (await NextOnSubjectAsync(subject, mid, cancellationToken).ConfigureAwait(false) is not { } probe)
            {
                break; // Removed meanwhile; the fetch and the completeness check cope.
            }

            if (probe.RoomSequence > afterSequence)
            {
                answer = probe.StreamSequence;
                hi = mid;
                if (probe.RoomSequence == afterSequence + 1)
                {
                    break;
                }
            }
            else if (probe.RoomSequence == afterSequence)
            {
                return (await NextOnSubjectAsync(subject, probe.StreamSequence + 1, cancellationToken).ConfigureAwait(false))?.StreamSequence ?? answer;
            }
            else
            {
                // next(x) is this message for every x in [mid, its sequence]; below hi unless appends came out of order.
                lo = probe.StreamSequence < hi ? probe.StreamSequence : hi - 1;
            }
        }

        return answer;
    }

    /// <summary>
    /// At most <paramref name="want"/> messages of <paramref name="subject"/> from stream sequence
    /// <paramref name="start"/> on (0: from the oldest), in stream order, through a short-lived consumer.
    /// </summary>
    private async Task<List<StoredRoomEvent>> FetchAsync(string subject, ulong start, int want, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            // Named, not durable: an ephemeral consumer (the create request carries name and filter).
            Name = "engine-read-" + Guid.NewGuid().ToString("N"),
            FilterSubject = subject,
            DeliverPolicy = start == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
            AckPolicy = ConsumerConfigAckPolicy.None,
            ReplayPolicy = ConsumerConfigReplayPolicy.Instant,
            InactiveThreshold = ReadConsumerInactiveThreshold,
            NumReplicas = 1,
            MemStorage = true,
        };
        if (start > 0)
        {
            config.OptStartSeq = start;
        }

        INatsJSConsumer consumer = await _readJs.CreateOrUpdateConsumerAsync(StreamName, config, cancellationToken).ConfigureAwait(false);
        var fetched = new List<StoredRoomEvent>(Math.Min(want, 1024));
        try
        {
            var fetchOptions = new NatsJSFetchOpts { MaxMsgs = want, Expires = AttemptTimeout(_options.ReadTimeout) };
            await foreach (INatsJSMsg<byte[]> message in consumer.FetchNoWaitAsync(fetchOptions, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
            {
                ulong streamSequence = message.Metadata?.Sequence.Stream ?? 0;
                if (!string.Equals(message.Subject, subject, StringComparison.Ordinal))
                {
                    continue; // Only if a server ignored the filter.
                }

                string? header = message.Headers is { } headers && headers.TryGetValue(SequenceHeader, out var values) ? values.ToString() : null;
                if (ParseSequence(header) is not { } sequence)
                {
                    EventStoreLog.ForeignMessage(_logger, _cluster, streamSequence, subject);
                    continue;
                }

                fetched.Add(new StoredRoomEvent(sequence, message.Data ?? []));
                if (fetched.Count >= want)
                {
                    break;
                }
            }
        }
        finally
        {
            await DeleteConsumerQuietlyAsync(config.Name).ConfigureAwait(false);
        }

        return fetched;
    }

    private async Task DeleteConsumerQuietlyAsync(string name)
    {
        using var timeout = new CancellationTokenSource(ConsumerDeleteTimeout);
        try
        {
            await _readJs.DeleteConsumerAsync(StreamName, name, timeout.Token).AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NatsException or OperationCanceledException or TimeoutException or IOException)
        {
            EventStoreLog.ConsumerDeleteFailed(_logger, _cluster, name, exception.Message);
        }
    }

    /// <summary>The first message on <paramref name="subject"/> at or after stream sequence <paramref name="streamSequence"/>, or null.</summary>
    private Task<Probe?> NextOnSubjectAsync(string subject, ulong streamSequence, CancellationToken cancellationToken) =>
        GetMessageAsync(new StreamMsgGetRequest { Seq = streamSequence, NextBySubj = subject }, cancellationToken);

    /// <summary>
    /// One message by the stream leader's <c>STREAM.MSG.GET</c> (not direct get, which a lagging replica
    /// may answer), reduced to its stream and room sequences; null when there is none. A message
    /// without a valid Engine-Sequence (not written by Engine) counts as room sequence 0.
    /// </summary>
    private async Task<Probe?> GetMessageAsync(StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        StreamMsgGetResponse response;
        try
        {
            response = await _readJs.JSRequestResponseAsync<StreamMsgGetRequest, StreamMsgGetResponse>(
                $"{_readJs.Opts.Prefix}.STREAM.MSG.GET.{StreamName}", request, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException exception) when (exception.Error.Code == 404 && !IsStreamNotFound(exception))
        {
            return null; // No such message.
        }

        StoredMessage message = response.Message;
        if (SequenceFromRawHeaders(message.Hdrs) is { } sequence)
        {
            return new Probe(message.Seq, sequence);
        }

        EventStoreLog.ForeignMessage(_logger, _cluster, message.Seq, message.Subject);
        return new Probe(message.Seq, 0);
    }

    /// <summary>A stored message's position in the stream and its room sequence.</summary>
    private sealed record Probe(ulong StreamSequence, long RoomSequence);
}
