using RagKit.CrashChild;
using RagKit.Retrieval;

// Usage: RagKit.CrashChild <store folder> <seed> <first version>
// Writes forever, one batch at a time. Before a batch: "B U id:version ..." or "B D id ...";
// after it is acknowledged (the call returned): "A". The parent kills this process at a random moment.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: RagKit.CrashChild <store folder> <seed> <first version>");
    return 2;
}

var rng = new Random(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
ulong version = ulong.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
using var store = (IDisposable)EmbeddedVectorStore.Open(args[0]);
var vectors = (IVectorStore)store;
Console.Out.Flush();
Console.WriteLine("READY");
while (true)
{
    int[] ids = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => rng.Next(CrashWorkload.DocumentIds)).Distinct().ToArray();
    if (rng.Next(5) == 0)
    {
        Console.WriteLine("B D " + string.Join(' ', ids));
        await vectors.DeleteAsync(ids.Select(CrashWorkload.Key).ToArray(), default);
    }
    else
    {
        var batch = ids.Select(id => (id, v: ++version)).ToArray();
        Console.WriteLine("B U " + string.Join(' ', batch.Select(b => $"{b.id}:{b.v}")));
        await vectors.UpsertAsync(batch.Select(b => CrashWorkload.Document(b.id, b.v)).ToArray(), default);
    }

    Console.WriteLine("A");
}
