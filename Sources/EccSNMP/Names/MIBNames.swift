import CEccSNMP
import Synchronization

/// OID names from MIB modules, read by net-snmp's own parser (libnetsnmp) from the configured
/// directories. net-snmp keeps one parse tree per process and is not thread-safe, so every call goes
/// through one lock; ``OIDNameCache`` keeps the answers, so each object is looked up here once.
package final class MIBNames: Sendable {
    private static let lock = Mutex<Int>(0)
    /// The directories loaded, in order.
    package let directories: [String]
    /// Nodes of the MIB tree known after loading (a rough measure of what was found).
    package let nodes: Int

    /// Loads every module in `directories` (on top of what an earlier instance loaded).
    package init(directories: [String]) {
        self.directories = directories
        nodes = Self.lock.withLock { _ in Int(ecc_mib_load(directories.joined(separator: ":"))) }
    }

    /// `MODULE::name` of the node `oid` names exactly, and the arcs it covers.
    package func node(_ oid: OID) -> (name: String, depth: Int)? {
        Self.lock.withLock { _ -> (name: String, depth: Int)? in
            var module = [CChar](repeating: 0, count: 128)
            var label = [CChar](repeating: 0, count: 128)
            let depth = ecc_mib_lookup(oid.arcs, oid.arcs.count, &module, module.count, &label, label.count)
            guard depth >= 2 else { return nil }
            let l = String(decoding: label.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let m = String(decoding: module.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // net-snmp names a node of no loaded module "#-1"; such a node keeps its bare label.
            return (m.isEmpty || m.hasPrefix("#") ? l : m + "::" + l, depth)
        }
    }
}

/// Names for one receiver thread: the built-in table first, then the MIBs; the keys an event needs of
/// each OID (also "not known") cached by OID, within a bound.
package final class OIDNameCache: OIDNaming {
    private let builtIn: OIDNames
    private let mibs: MIBNames?
    private var trapKeyCache: [OID: TrapKeys] = [:]
    private var objectKeyCache: [OID: ObjectKeys] = [:]
    /// The same keys found by encoded OID bytes, for ``SNMPDecoder/trapEvent(_:from:at:names:allowCommunity:)``.
    var encodedObjects = EncodedOIDTable<ObjectEntry>(limit: OIDNameCache.capacity)
    var encodedTraps = EncodedOIDTable<TrapEntry>(limit: OIDNameCache.capacity)
    /// Entries kept before the cache starts afresh (instances make many distinct OIDs).
    package static let capacity = 65_536

    package init(builtIn: OIDNames = .builtIn, mibs: MIBNames?) {
        self.builtIn = builtIn
        self.mibs = mibs
    }

    package func trapKeys(_ oid: OID) -> TrapKeys {
        if let k = trapKeyCache[oid] { return k }
        let k = TrapKeys(oid, full: trapName(oid))
        if trapKeyCache.count >= Self.capacity { trapKeyCache.removeAll(keepingCapacity: true) }
        trapKeyCache[oid] = k
        return k
    }

    package func objectKeys(_ oid: OID) -> ObjectKeys {
        if let k = objectKeyCache[oid] { return k }
        let k = ObjectKeys(oid, named: object(oid))
        if objectKeyCache.count >= Self.capacity { objectKeyCache.removeAll(keepingCapacity: true) }
        objectKeyCache[oid] = k
        return k
    }

    /// Uncached: ``trapKeys(_:)`` keeps the answer.
    package func trapName(_ oid: OID) -> String? {
        if let known = builtIn.trapName(oid) { return known }
        return mibs?.node(oid).flatMap { $0.depth == oid.arcs.count ? $0.name : nil }
    }

    /// Uncached: ``objectKeys(_:)`` keeps the answer.
    package func object(_ oid: OID) -> (name: String, instance: ArraySlice<UInt32>)? {
        if let known = builtIn.object(oid) { return known }
        return mibs?.node(oid).map { ($0.name, oid.arcs[$0.depth...]) }
    }
}
