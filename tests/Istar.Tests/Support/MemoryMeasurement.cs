namespace Istar.Tests.Support;

/// <summary>
/// Tests that measure the process's managed allocations run alone: GC counters are process-wide, so tests running
/// beside them would be counted too.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;
