using System.Reflection;
using Microsoft.Extensions.Logging;
using RagKit.LLamaSharp;
using RagKit.Onnx;
using RagKit.Qdrant;
using RagKit.Redis;
using RagKit.SemanticKernel;

namespace RagKit.Tests.Diagnostics;

/// <summary>
/// Every package's log events have a name and an id in the package's own range (docs/telemetry.md), so an id names
/// one event across all RagKit packages.
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly (Assembly Assembly, int First, int Last)[] Ranges =
    [
        (typeof(RagPipelineBuilder).Assembly, 1000, 1999),
        (typeof(RedisSemanticCache).Assembly, 2000, 2999),
        (typeof(MiniLmEmbeddingGenerator).Assembly, 3000, 3999),
        (typeof(LLamaSharpChatClient).Assembly, 4000, 4999),
        (typeof(QdrantVectorStore).Assembly, 5000, 5999),
        (typeof(RagKitPlugin).Assembly, 6000, 6999),
    ];

    private static IEnumerable<(Assembly Assembly, MethodInfo Method, LoggerMessageAttribute Attribute)> Events() =>
        from range in Ranges
        from type in range.Assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (range.Assembly, method, attribute);

    [Fact]
    public void Every_log_event_has_a_name_and_an_id_in_its_packages_range()
    {
        var events = Events().ToList();
        foreach ((Assembly assembly, int first, int last) in Ranges)
        {
            foreach ((_, MethodInfo method, LoggerMessageAttribute attribute) in events.Where(e => e.Assembly == assembly))
            {
                string where = $"{assembly.GetName().Name}: {method.DeclaringType!.FullName}.{method.Name}";
                Assert.True(attribute.EventId >= first && attribute.EventId <= last, $"{where} has event id {attribute.EventId}, outside {first}–{last}.");
                Assert.False(string.IsNullOrEmpty(attribute.EventName), $"{where} has no EventName.");
            }
        }

        // The packages that log today; an empty list would mean the reflection found nothing and checked nothing.
        foreach (string name in new[] { "RagKit", "RagKit.Redis", "RagKit.Onnx", "RagKit.LLamaSharp", "RagKit.Qdrant" })
        {
            Assert.Contains(events, e => e.Assembly.GetName().Name == name);
        }
    }

    [Fact]
    public void No_two_log_events_share_an_id_or_a_name_across_the_packages()
    {
        var events = Events().ToList();

        string[] sameId = events.GroupBy(e => e.Attribute.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method.DeclaringType!.FullName + "." + e.Method.Name))}").ToArray();
        Assert.Empty(sameId);

        string[] sameName = events.GroupBy(e => (e.Assembly, e.Attribute.EventName)).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Assembly.GetName().Name} {g.Key.EventName}").ToArray();
        Assert.Empty(sameName);
    }
}
