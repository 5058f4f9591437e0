using Engine.Protocol;
using Engine.Tests.Host;

namespace Engine.Tests.Documents;

/// <summary>A client's copy of the room document, kept the way docs/protocol.md tells a client to keep it.</summary>
public sealed class DocumentView
{
    public Dictionary<string, string> Entries { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public int FullCount { get; private set; }

    public void Apply(DocumentChangedMessage change)
    {
        if (change.Full)
        {
            Entries.Clear();
            Counters.Clear();
            FullCount++;
        }

        foreach (DocumentEntry entry in change.Entries)
        {
            if (entry.Value is null)
            {
                Entries.Remove(entry.Key);
            }
            else
            {
                Entries[entry.Key] = entry.Value;
            }
        }

        foreach (DocumentCounter counter in change.Counters)
        {
            Counters[counter.Name] = counter.Value;
        }
    }

    /// <summary>Applies DocumentChanged messages from <paramref name="client"/> until <paramref name="done"/> holds.</summary>
    public async Task UntilAsync(ProtocolTestClient client, Func<DocumentView, bool> done, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!done(this))
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"The document never reached the expected state; it holds {string.Join(", ", Entries)} and {string.Join(", ", Counters)}.");
            }

            Apply(await client.ExpectAsync<DocumentChangedMessage>(null, left));
        }
    }
}
