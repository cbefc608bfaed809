export default function Page() { return <h1>web</h1>; }
