namespace Engine.State.Crdt;

/// <summary>Conversions between per-node count tables and their wire arrays.</summary>
internal static class NodeCounts
{
    public static NodeCount[] ToArray(Dictionary<uint, ulong> counts)
    {
        var array = new NodeCount[counts.Count];
        int i = 0;
        foreach ((uint node, ulong count) in counts)
        {
            array[i++] = new NodeCount(node, count);
        }

        return array;
    }

    /// <exception cref="InvalidDataException">The array is missing, repeats a node, or holds a zero count.</exception>
    public static Dictionary<uint, ulong> ToDictionary(NodeCount[]? entries, string owner)
    {
        if (entries is null)
        {
            throw new InvalidDataException($"The {owner} table is missing.");
        }

        var counts = new Dictionary<uint, ulong>(entries.Length);
        foreach (NodeCount entry in entries)
        {
            if (entry.Count == 0)
            {
                throw new InvalidDataException($"The {owner} table holds a zero count for node {entry.NodeId}.");
            }

            if (!counts.TryAdd(entry.NodeId, entry.Count))
            {
                throw new InvalidDataException($"The {owner} table lists node {entry.NodeId} twice.");
            }
        }

        return counts;
    }
}
