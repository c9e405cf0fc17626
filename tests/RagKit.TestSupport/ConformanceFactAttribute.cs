using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace RagKit.TestSupport;

/// <summary>Marks a test class whose store needs a real Qdrant server at env <c>RAGKIT_QDRANT_ENDPOINT</c>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresQdrantServerAttribute : Attribute
{
    public const string EnvironmentVariable = "RAGKIT_QDRANT_ENDPOINT";

    public const string SkipReason = "RAGKIT_QDRANT_ENDPOINT not set; no Qdrant server can be installed on this machine (set it to e.g. http://localhost:6334 to run this suite against a real Qdrant)";

    public static string? Endpoint => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } e ? e : null;
}

/// <summary>
/// A fact of the conformance suite. Inherited by every store's test class; when the class is marked
/// <see cref="RequiresQdrantServerAttribute"/> and no server is configured, the test is reported as skipped with the reason.
/// </summary>
[XunitTestCaseDiscoverer("RagKit.TestSupport.ConformanceFactDiscoverer", "RagKit.TestSupport")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceFactAttribute : FactAttribute
{
}

public sealed class ConformanceFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        yield return new ConformanceTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class ConformanceTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public ConformanceTestCase()
    {
    }

    public ConformanceTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute)
    {
        bool needsServer = TestMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresQdrantServerAttribute)).Any();
        return needsServer && RequiresQdrantServerAttribute.Endpoint is null
            ? RequiresQdrantServerAttribute.SkipReason
            : base.GetSkipReason(factAttribute);
    }
}
